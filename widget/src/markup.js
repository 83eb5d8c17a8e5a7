// The static markup of the shadow root. Every text that comes from the server or the
// page is set later with textContent or setAttribute, never parsed as HTML.

export const OFFLINE = 'Chat is offline, retrying';

const ICON_CHAT = '<svg class="chat" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M5 4h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
const icon = (cls, d) => `<svg class="${cls}" viewBox="0 0 24 24" aria-hidden="true"><path d="${d}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

// The panel (a dialog, hidden until opened), the launcher, its badge, and live regions.
export const HTML = `
<div class="w">
  <div class="panel" id="panel" role="dialog" hidden>
    <header><div class="t"><h2></h2><p class="sub" aria-live="polite"></p></div><button class="x" type="button" aria-label="Close chat">${icon('', 'M6 6l12 12M18 6L6 18')}</button></header>
    <div class="log" role="log" aria-live="polite" aria-label="Messages" tabindex="0">
      <div class="b them greet" hidden></div>
      <div class="typing" aria-hidden="true" hidden><i></i><i></i><i></i></div>
    </div>
    <p class="sr" id="typing" role="status"></p>
    <p class="status" hidden>${OFFLINE}…</p>
    <div class="ask" hidden><button class="human" type="button">Talk to a person</button></div>
    <div class="compose">
      <textarea rows="1" aria-label="Message" placeholder="Write a message…" dir="auto"></textarea>
      <button class="send" type="button">Send</button>
    </div>
    <p class="signin" hidden></p>
  </div>
  <button class="launch" type="button" aria-label="Open chat" aria-controls="panel" aria-expanded="false">${ICON_CHAT}${icon('down', 'M6 9l6 6 6-6')}<span class="dot"></span></button>
  <span class="badge" id="badge" role="img" hidden></span>
  <span class="sr" id="off"></span>
  <span class="sr" id="news" aria-live="polite"></span>
</div>`;
