export { startDaemon, type RunningDaemon } from '../../demo/daemons.js';
