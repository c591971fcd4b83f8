// @ts-check
// The page every node serves: join form, status line, live peer table with RTT plots, chat.
import { connectMesh } from '../browser/index.js';
import { ChatView } from './chat-view.js';
import { claimPeerId, cleanName, saveName, savedName } from './identity.js';
import { PeerTableView, shownName } from './peer-table.js';
import { RttHistory } from './rtt-plot.js';
import { describeStatus } from './status-text.js';

/** @import { MeshClient, MeshPeer, MessageInfo } from '../browser/index.js' */

const MAX_MESSAGE_LENGTH = 2000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page lacks #${id}`);
  return found;
}

const ui = {
  whoami: element('whoami', HTMLParagraphElement),
  changeName: element('change-name', HTMLButtonElement),
  status: element('status', HTMLDivElement),
  join: element('join', HTMLFormElement),
  joinName: element('join-name', HTMLInputElement),
  joinSecretLabel: element('join-secret-label', HTMLLabelElement),
  joinSecret: element('join-secret', HTMLInputElement),
  joinHint: element('join-hint', HTMLParagraphElement),
  mesh: element('mesh', HTMLElement),
  peersPanel: element('peers-panel', HTMLElement),
  peersStale: element('peers-stale', HTMLParagraphElement),
  peerRows: /** @type {HTMLTableSectionElement} */ (element('peer-table', HTMLTableElement).tBodies[0]),
  chatLog: element('chat-log', HTMLOListElement),
  composer: element('composer', HTMLFormElement),
  target: element('target', HTMLSpanElement),
  clearTarget: element('clear-target', HTMLButtonElement),
  message: element('message', HTMLInputElement),
  send: element('send', HTMLButtonElement),
};

const nodeUrl = new URLSearchParams(location.search).get('node') ?? `${location.origin}/`;
const nodeHost = (() => {
  try {
    return new URL(nodeUrl).host;
  } catch {
    return nodeUrl;
  }
})();
const peerId = claimPeerId();
const history = new RttHistory();
const chat = new ChatView(ui.chatLog);
const table = new PeerTableView(ui.peerRows, selectTarget);

/** @type {MeshClient | null} */
let client = null;
/** @type {{ id: string, name: string } | null} */
let target = null;

/** @param {string} id */
function nameOf(id) {
  const peer = client?.peers.find((candidate) => candidate.id === id);
  return peer === undefined ? id.slice(0, 8) : shownName(peer.name);
}

/** @param {string} id @param {string} name */
function selectTarget(id, name) {
  target = { id, name };
  renderTarget();
  renderPeers();
  ui.message.focus();
}

function renderTarget() {
  ui.target.textContent = target === null ? 'To everyone' : `To ${shownName(target.name)} only`;
  ui.target.dataset.target = target?.id ?? '';
  ui.target.classList.toggle('direct', target !== null);
  ui.clearTarget.hidden = target === null;
}

function renderPeers() {
  table.update(client?.peers ?? [], { selectedId: target?.id ?? null, history, now: Date.now() });
}

function renderStatus() {
  if (client === null) return;
  const status = client.status;
  const { tone, text, action } = describeStatus(status, nodeHost, Date.now());
  ui.status.dataset.tone = tone;
  ui.status.dataset.state = status.state;
  ui.status.dataset.problem = status.problem?.code ?? '';
  ui.status.textContent = text;
  if (action === 'retry' && status.state !== 'open') {
    ui.status.append(button('Retry now', () => client?.reconnect()));
  } else if (action === 'secret') {
    showJoinForm(status.problem?.code === 'wrong-secret' ? 'Wrong secret, try again.' : 'This mesh needs its secret.', true);
  }
  const open = status.state === 'open';
  ui.peersPanel.classList.toggle('stale', !open);
  ui.peersStale.hidden = open;
  ui.message.disabled = !open;
  ui.send.disabled = !open;
}

/** @param {string} label @param {() => void} onClick */
function button(label, onClick) {
  const created = document.createElement('button');
  created.type = 'button';
  created.textContent = label;
  created.addEventListener('click', onClick);
  return created;
}

/** @param {string} hint @param {boolean} askSecret */
function showJoinForm(hint, askSecret) {
  ui.join.hidden = false;
  ui.joinHint.textContent = hint;
  ui.joinSecretLabel.hidden = !askSecret;
  ui.joinName.value = client?.name ?? savedName() ?? '';
  (askSecret ? ui.joinSecret : ui.joinName).focus();
}

/** @param {string | Uint8Array} data @param {MessageInfo} info */
function showMessage(data, info) {
  const text = typeof data === 'string' ? data : `[binary message, ${data.byteLength} bytes]`;
  chat.addMessage({ at: info.receivedAt, sender: nameOf(info.from), text, mine: false, directTo: info.to === null ? null : 'you' });
}

/** @param {MeshPeer[]} peers */
function recordPeers(peers) {
  const now = Date.now();
  for (const peer of peers) if (peer.rtt !== null) history.record(peer.id, peer.rtt, now);
  if (target !== null && !peers.some((peer) => peer.id === target?.id)) {
    chat.addNotice(`${shownName(target.name)} left; messages go to everyone again.`, now);
    target = null;
    renderTarget();
  }
  renderPeers();
}

/** Unsubscribes the page from the current client. */
let detach = () => {};

/** @param {string} name @param {string | undefined} secret */
function join(name, secret) {
  detach();
  client?.close();
  const joined = connectMesh(nodeUrl, { name, id: peerId, secret });
  client = joined;
  const subscriptions = [
    joined.on('status', renderStatus),
    joined.on('peers', recordPeers),
    joined.on('message', showMessage),
    joined.on('open', (node) => chat.addNotice(`Joined the mesh through ${shownName(node.name)}.`, Date.now())),
    joined.on('close', (problem) => chat.addNotice(`Connection lost: ${problem.message}`, Date.now())),
  ];
  detach = () => subscriptions.forEach((unsubscribe) => unsubscribe());
  ui.whoami.textContent = `You are ${name} (browser peer ${peerId.slice(0, 8)})`;
  ui.mesh.hidden = false;
  ui.changeName.hidden = false;
  renderStatus();
  renderPeers();
}

ui.join.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = cleanName(ui.joinName.value);
  if (name === null) {
    ui.joinHint.textContent = 'Please enter a name.';
    return;
  }
  const secret = ui.joinSecretLabel.hidden ? undefined : ui.joinSecret.value;
  ui.joinSecret.value = '';
  ui.join.hidden = true;
  saveName(name);
  if (client !== null && client.name === name && secret !== undefined) client.reconnect({ secret });
  else join(name, secret);
});

ui.changeName.addEventListener('click', () => showJoinForm('Choose the name the mesh sees.', false));

ui.clearTarget.addEventListener('click', () => {
  target = null;
  renderTarget();
  renderPeers();
});

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.message.value;
  if (client === null || text.trim() === '') return;
  if (text.length > MAX_MESSAGE_LENGTH) {
    chat.addNotice(`Messages are limited to ${MAX_MESSAGE_LENGTH} characters.`, Date.now());
    return;
  }
  const entry = { at: Date.now(), sender: client.name, text, mine: true, directTo: target === null ? null : shownName(target.name) };
  const setDelivery = chat.addMessage(entry);
  if (target === null) {
    try {
      client.broadcast(text);
    } catch (error) {
      setDelivery(`not sent: ${error instanceof Error ? error.message : String(error)}`, true);
      return;
    }
  } else {
    setDelivery('sending…');
    client.send(target.id, text).then(
      () => setDelivery('delivered'),
      (error) => setDelivery(`not delivered: ${error instanceof Error ? error.message : String(error)}`, true),
    );
  }
  ui.message.value = '';
});

setInterval(() => {
  if (client?.status.state === 'waiting') renderStatus();
  renderPeers();
}, 1000);

renderTarget();
const name = savedName();
if (name === null) {
  ui.status.textContent = `Node ${nodeHost}: choose a name to join the mesh.`;
  showJoinForm('Other peers see this name next to your messages.', false);
} else {
  join(name, undefined);
}
