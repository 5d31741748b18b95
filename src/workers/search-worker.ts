// Piscina worker: runs one layout search off the main event loop. The request arrives by
// structured clone (plain data); the result goes back the same way.
import { searchLayouts, type SearchRequest, type SearchResult } from '../domain/parallelism.js';

export default function runSearch(request: SearchRequest): SearchResult {
  return searchLayouts(request);
}
