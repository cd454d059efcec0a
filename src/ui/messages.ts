/**
 * A message about one situation (the link that was copied, the URL that
 * failed to load): shown while that situation lasts, gone once it changes,
 * so that "Link copied" never stands next to a link that was not.
 */
export interface Tied<K> { about: K; text: string }

/** The message's text while `now` is what it was about, else null. */
export const shownFor = <K>(m: Tied<K> | null, now: K): string | null => (m !== null && Object.is(m.about, now) ? m.text : null);
