/** A small well-formedness check for SVG text: one root <svg>, every tag closed in order. */
export function svgProblems(text: string): string | undefined {
  if (!text.startsWith('<svg')) return 'does not start with <svg';
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;
  for (const m of text.matchAll(tag)) {
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return `</${name}> at ${m.index} closes the wrong element`;
    if (stack.length === 0 && m.index! + m[0].length !== text.trimEnd().length) return 'content after the root element';
  }
  return stack.length ? `unclosed <${stack.at(-1)}>` : undefined;
}
