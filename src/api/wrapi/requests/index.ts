// Each area file registers its Requests when imported.
import './administration.ts';
import './library.ts';
import './panels.ts';
import './contacts.ts';
import './surveys.ts';
import './responses.ts';
import './subscriptions.ts';
import './distributions.ts';
