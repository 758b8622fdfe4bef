// The console's entry point: defining `ts-app` starts it (index.html already contains the element).
import './app/ts-app.js';
