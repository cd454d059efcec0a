import { describe, expect, it } from 'vitest';
import { shownFor, type Tied } from '../../src/ui/messages.ts';

describe('messages tied to what they are about', () => {
  it('"Link copied" is shown for the link that was copied, not for the next sample\'s link', () => {
    const copied: Tied<string> = { about: 'https://s/?seed=1', text: 'Link copied' };
    expect(shownFor(copied, 'https://s/?seed=1')).toBe('Link copied');
    expect(shownFor(copied, 'https://s/?seed=2')).toBeNull();
    expect(shownFor(null, 'https://s/?seed=1')).toBeNull();
  });

  it('a corpus URL\'s error goes once the URL is edited', () => {
    const err: Tied<string> = { about: 'https://h/a.txt', text: 'Could not load https://h/a.txt: 404' };
    expect(shownFor(err, 'https://h/a.txt')).toMatch(/^Could not load/);
    expect(shownFor(err, 'https://h/b.txt')).toBeNull();
  });
});
