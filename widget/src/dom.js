// Element helpers. Every text that comes from the server or the page is set as text,
// never parsed as HTML.

// Text written only when it changes: live regions re-announce a rewrite of the same words.
export function put(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}
