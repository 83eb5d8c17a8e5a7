// Colours: text on the bot's colour must stay readable (WCAG contrast).

// WCAG relative luminance of #rrggbb.
export function luminance(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [16, 8, 0].reduce((sum, shift, i) => {
    const c = ((n >> shift) & 255) / 255;
    return sum + [0.2126, 0.7152, 0.0722][i] * (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  }, 0);
}

// The ink mixed toward the bot's colour as far as it stays readable on it (4.5:1 and a
// margin): what a timestamp on the visitor's bubble is written in.
export function fade(ink, color, L) {
  const rgb = (h) => [16, 8, 0].map((s) => (parseInt(h.slice(1), 16) >> s) & 255);
  const a = rgb(ink), b = rgb(color);
  for (let k = 0.5; k < 1; k += 0.05) {
    const m = '#' + a.map((c, i) => Math.round(c * k + b[i] * (1 - k)).toString(16).padStart(2, '0')).join('');
    const l = luminance(m);
    if ((Math.max(l, L) + 0.05) / (Math.min(l, L) + 0.05) >= 4.6) return m;
  }
  return ink;
}
