"""dulwich as a git client for the protocol tests: clone (depth, filter,
protocol version) and push, printing one JSON line of what happened, errors
as dulwich reports them to its user."""
import io
import json
import sys

from dulwich import porcelain
from dulwich.repo import Repo


def clone(url, target, depth, filter_spec, version):
    err = io.BytesIO()
    repo = porcelain.clone(url, target, depth=int(depth) if depth != "-" else None,
                           filter_spec=None if filter_spec == "-" else filter_spec,
                           protocol_version=int(version), errstream=err, checkout=False)
    head = repo.head()
    commits = [e.commit.id.decode() for e in repo.get_walker(include=[head])]
    shallow = sorted(s.decode() for s in repo.get_shallow())
    return {"head": head.decode(), "commits": commits, "shallow": shallow}


def push(target, url, refspec, force):
    err = io.BytesIO()
    try:
        porcelain.push(target, url, refspec, force=force == "force", errstream=err)
        ok = True
    except Exception as e:  # what dulwich's user sees: the exception and the error stream
        err.write(f"{type(e).__name__}: {e}".encode())
        ok = False
    return {"ok": ok, "stderr": err.getvalue().decode("utf-8", "replace")}


def commit(target, path, text):
    with open(f"{target}/{path}", "w") as f:
        f.write(text)
    repo = Repo(target)
    porcelain.add(repo, [f"{target}/{path}"])
    sha = porcelain.commit(repo, message=b"from dulwich", author=b"D <d@example.com>", committer=b"D <d@example.com>")
    return {"commit": sha.decode()}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    try:
        result = {"clone": clone, "push": push, "commit": commit}[command](*args)
    except Exception as e:
        result = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(result))
