// @ts-check
// The chat log. Everything received is set as text (textContent), never parsed as HTML.

const MAX_SHOWN_TEXT = 2000;
const MAX_ENTRIES = 500;

/**
 * @typedef {{ at: number, sender: string, text: string, mine: boolean, directTo: string | null,
 *   unnamed?: { id: string } }} ChatEntry `unnamed`: the sender's name was not known yet (`sender` shows its id)
 */

/** @param {string} sender @param {string | null} directTo */
const senderText = (sender, directTo) => (directTo === null ? sender : `${sender} → ${directTo}`);

/** @param {number} at */
function formatTime(at) {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** @param {string} text */
function shownText(text) {
  if (text.length <= MAX_SHOWN_TEXT) return text;
  return `${text.slice(0, MAX_SHOWN_TEXT)}… (${text.length - MAX_SHOWN_TEXT} more characters)`;
}

export class ChatView {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
  }

  /**
   * @param {ChatEntry} entry
   * @returns {(text: string, failed?: boolean) => void} sets the delivery note of the entry
   */
  addMessage(entry) {
    const item = document.createElement('li');
    item.classList.toggle('mine', entry.mine);
    item.classList.toggle('direct', entry.directTo !== null);
    const time = document.createElement('time');
    time.className = 'time';
    time.dateTime = new Date(entry.at).toISOString();
    time.textContent = formatTime(entry.at);
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = senderText(entry.sender, entry.directTo);
    if (entry.unnamed !== undefined) {
      item.dataset.senderId = entry.unnamed.id;
      item.dataset.directTo = entry.directTo ?? '';
    }
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = shownText(entry.text);
    const delivery = document.createElement('span');
    delivery.className = 'delivery';
    item.append(time, sender, text, delivery);
    this.#append(item);
    return (note, failed = false) => {
      delivery.textContent = note;
      delivery.classList.toggle('failed', failed);
    };
  }

  /**
   * Names the senders of messages that arrived before their names were known (the peer list came later).
   * @param {(id: string) => string | null} nameOf
   */
  nameSenders(nameOf) {
    for (const item of this.list.querySelectorAll('li[data-sender-id]')) {
      if (!(item instanceof HTMLLIElement)) continue;
      const name = nameOf(item.dataset.senderId ?? '');
      const sender = item.querySelector('.sender');
      if (name === null || sender === null) continue;
      sender.textContent = senderText(name, item.dataset.directTo || null);
      delete item.dataset.senderId;
    }
  }

  /** @param {string} text @param {number} at */
  addNotice(text, at) {
    const item = document.createElement('li');
    item.className = 'notice';
    item.textContent = `${formatTime(at)} ${text}`;
    this.#append(item);
  }

  /** @param {HTMLLIElement} item */
  #append(item) {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(item);
    while (this.list.childElementCount > MAX_ENTRIES) this.list.firstElementChild?.remove();
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}
