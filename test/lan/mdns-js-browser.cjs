// Runs mdns-js 1.0.3's own browser unguarded (for the ENODEV reproduction in a namespace without a multicast
// route). Prints {"event":"ready"} if it comes up; an uncaught error ends the process with its message on stderr.
const mdns = require('mdns-js');
const browser = mdns.createBrowser(mdns.tcp('wsmesh'));
browser.on('ready', () => process.stdout.write('{"event":"ready"}\n'));
setTimeout(() => process.exit(0), 3000);
