/**
 * Small path helpers shared by the tests.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The file-system path of a file: URL. */
export function fromFileUrl(url: string): string {
  return fileURLToPath(url);
}
