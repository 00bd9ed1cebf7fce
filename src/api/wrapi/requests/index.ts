// Each area file registers its Requests when imported.
import './administration.ts';
