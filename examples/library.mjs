import { Session } from 'hvlab';

const session = await Session.open('guests/demo.yaml', { trace: true });
const first = session.runUntil({ cycles: 2_000_000 });      // stops at cycle 2,000,000
console.log(first.reason, session.consoleLines().length);   // until-cycles 15
session.runUntil();                                          // on to the end: all-stopped
session.finish();                                            // flush consoles, close residencies
for (const g of session.results().guests) console.log(g.name, g.state, g.instructions);
session.writeTrace('demo-trace.json');
session.close();
