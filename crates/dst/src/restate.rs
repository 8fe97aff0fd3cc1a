//! A free-text value said again with a part changed ("oops, it's 11 Downing Street, London" at
//! the confirmation of "10 Downing Street, London"): a correction that names no slot and that
//! no entity carries, found by lining the message's words up with the value's; or a text slot
//! named with its new value after it ("put the reason as: …").

use crate::state::Frame;
use crate::tracker::{Tracker, UserTurn, count_words};

/// Words that join a slot's name to its new value: "change the reason to: …", "put the reason
/// as …", "new address: …", "counterparty should be …", "理由改成…".
const SEPARATORS: [&str; 11] = [":", "：", " to ", " as ", " should be ", " is actually ", " is now ", "改成", "改为", "换成", "应该是"];

/// Where no value is being confirmed, a plain "is" joins them too ("the reason is the machine
/// makes a loud noise"); at a confirmation "the address is right, thanks" is a yes.
const PLAIN_IS: &str = " is ";

impl Tracker {
    /// The one free-text slot of the frame whose value the message says again with a change,
    /// and the new value: the message's words that line up with the old value's. A slot the
    /// message gives a value of its own (an entity with new content, "send it to my office
    /// instead - 90 Market St, Suite 400, …") is no restatement: that value corrects it whole.
    pub(crate) fn restated(&self, frame: &Frame, input: &UserTurn) -> Option<(String, String)> {
        let replaced = |slot: &str, old: &str| input.entities.iter().any(|e| self.accepts(slot, &e.entity) && new_value(old, &e.value));
        let mut found = frame
            .slots
            .iter()
            .filter(|(slot, current)| self.is_free_text(slot) && !replaced(slot, &current.value))
            .filter_map(|(slot, current)| restatement(&current.value, &input.text).map(|value| (slot.clone(), value)));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// A slot of the frame's flow that takes any text, named and then given a new value
    /// ("actually put the reason as: team already at minimum staffing that week"): the slot and
    /// the words after the first separator that follows its name (a plain "is" too where
    /// `plain_is`), two words or more.
    pub(crate) fn renamed(&self, frame: &Frame, text: &str, plain_is: bool) -> Option<(String, String)> {
        let lower = text.to_ascii_lowercase();
        let separators = SEPARATORS.iter().copied().chain(plain_is.then_some(PLAIN_IS));
        let (at, separator) = separators.filter_map(|sep| lower.find(sep).map(|at| (at, sep))).min_by_key(|(at, _)| *at)?;
        let slot = self.named_slot(&frame.flow, &text[..at], |_| true)?;
        let value = text[at + separator.len()..].trim_start_matches([':', '：']).trim().trim_matches(['"', '\'', '“', '”']).trim();
        (self.takes_any_text(&slot) && count_words(value) >= 2).then(|| (slot, value.to_string()))
    }
}

/// `old` with a run of its words said again in `text` with some swapped for words of the same
/// kind (a number for a number, a word for a word): one changed at least, and in place two
/// words or more (a CJK character counts half: "不对" lines up with no "尺码不对"), one of them
/// content (not only "the … is": "the id is EXP-2074" says no reason "the receipt is missing"
/// again), and half the run's words — unless the run is the whole value, said again word for
/// word in kind ("sorry, it's 27 Birch Close, Leeds LS6 3CD" at "14 Oak Avenue, Leeds LS6
/// 2AB" is that new address, not "14 Oak Close"). The whole value said again wins, then the
/// run with the most words in place, then the fewest changed.
/// `None` where `text` says `old` unchanged, whole. "sorry its 21 Elm Street not 12" turns
/// "12 Elm Street, Springfield" into "21 Elm Street, Springfield".
fn restatement(old: &str, text: &str) -> Option<String> {
    let old_spans = words::spans(old);
    let old_words: Vec<String> = old_spans.iter().map(|r| old[r.clone()].to_lowercase()).collect();
    let spans = words::spans(text);
    let said: Vec<String> = spans.iter().map(|r| text[r.clone()].to_lowercase()).collect();
    let n = old_words.len();
    if n < 2 || said.windows(n).any(|w| w == old_words.as_slice()) {
        return None;
    }
    // ((words in place, fewest changed), run length, run start in old, window start in text)
    let mut best: Option<(Rank, usize, usize, usize)> = None;
    for len in 2..=n.min(said.len()) {
        for from in 0..=n - len {
            let run = &old_words[from..from + len];
            for at in 0..=said.len() - len {
                let window = &said[at..at + len];
                let in_place = run.iter().zip(window).filter(|(a, b)| a == b).count();
                let halves: usize = run.iter().zip(window).filter(|(a, b)| a == b).map(|(a, _)| if is_cjk_word(a) { 1 } else { 2 }).sum();
                let like_for_like = run.iter().zip(window).filter(|(a, b)| a != b).all(|(a, b)| same_kind(a, b));
                let on_content = run.iter().zip(window).any(|(a, b)| a == b && words::is_content(a));
                let whole = len == n;
                let rank = (whole, in_place, std::cmp::Reverse(len - in_place));
                let enough = halves >= 4 && (whole || 2 * in_place >= len);
                if like_for_like && on_content && enough && in_place < len && best.is_none_or(|b| rank > b.0) {
                    best = Some((rank, len, from, at));
                }
            }
        }
    }
    let (_, len, from, at) = best?;
    let said_run = &text[spans[at].start..spans[at + len - 1].end];
    Some(format!("{}{said_run}{}", &old[..old_spans[from].start], &old[old_spans[from + len - 1].end..]))
}

/// Whether `value` is a value of its own rather than `old` with a part changed: it has two
/// content words or more that `old` lacks.
fn new_value(old: &str, value: &str) -> bool {
    let old: Vec<String> = words::spans(old).into_iter().map(|r| old[r].to_lowercase()).collect();
    let fresh = words::spans(value).into_iter().map(|r| value[r].to_lowercase()).filter(|w| words::is_content(w) && !old.contains(w));
    fresh.count() >= 2
}

/// How well a run lines up: the whole value, then words in place, then fewest changed.
type Rank = (bool, usize, std::cmp::Reverse<usize>);

/// Whether two words are of one kind: both hold digits, both are CJK, or both are words of two
/// letters or more.
fn same_kind(a: &str, b: &str) -> bool {
    let digits = |w: &str| w.chars().any(|c| c.is_ascii_digit());
    let cjk = is_cjk_word;
    let word = |w: &str| w.chars().count() >= 2 && w.chars().all(char::is_alphabetic) && !cjk(w);
    (digits(a) && digits(b)) || (cjk(a) && cjk(b)) || (word(a) && word(b))
}

/// A word that is one CJK character (how [`words::spans`] cuts CJK text).
fn is_cjk_word(word: &str) -> bool {
    word.chars().all(words::is_cjk)
}

#[cfg(test)]
mod tests {
    use super::{new_value, restatement};

    #[test]
    fn a_value_said_again_with_a_part_changed_is_found() {
        let new = |old, text| restatement(old, text);
        assert_eq!(new("10 Downing Street, London", "oops, it's 11 Downing Street, London").as_deref(), Some("11 Downing Street, London"));
        assert_eq!(new("12 Elm Street", "sorry its 21 Elm Street not 12").as_deref(), Some("21 Elm Street"));
        assert_eq!(
            new("12 Elm Street, Springfield IL 62704", "sorry its 21 Elm Street not 12").as_deref(),
            Some("21 Elm Street, Springfield IL 62704")
        );
        assert_eq!(new("北京市朝阳区建国路88号", "不对，是北京市朝阳区建国路99号").as_deref(), Some("北京市朝阳区建国路99号"));
        assert_eq!(new("5 Oak Road", "no, 5 Elm Road").as_deref(), Some("5 Elm Road"));
        // The whole value said again in kind is the new value, however much of it changed.
        let old = "14 Oak Avenue, Leeds LS6 2AB";
        assert_eq!(new(old, "sorry, it's 27 Birch Close, Leeds LS6 3CD").as_deref(), Some("27 Birch Close, Leeds LS6 3CD"));
    }

    #[test]
    fn the_same_value_or_a_loose_echo_is_no_correction() {
        let new = |old, text| restatement(old, text);
        assert_eq!(new("10 Downing Street, London", "yes, 10 downing street london is right"), None);
        // One word in place is not the value said again; a word for a number is no swap.
        assert_eq!(new("cracked jug", "yes the jug"), None);
        assert_eq!(new("12 Elm Street", "it's Elm Street"), None);
        assert_eq!(new("wrong size", "yes"), None);
        assert_eq!(new("", "12 Elm Street"), None);
        assert_eq!(new("ok", "12 Elm Street"), None);
        // Words of grammar in place are no restatement.
        assert_eq!(new("the receipt is missing", "hold on, the id is EXP-2074"), None);
        // Two CJK characters in place are one word: a "不对" says no reason again.
        assert_eq!(new("the size is wrong 尺码不对", "不对不对，是 195，我刚才打错了"), None);
    }

    #[test]
    fn a_value_with_new_content_of_its_own_is_a_new_value() {
        let old = "221 Oak Street, Portland OR 97205";
        assert!(new_value(old, "90 Market St, Suite 400, Portland OR 97204"));
        assert!(!new_value(old, "221 Oak Street, Portland OR 97204"), "one number changed");
        assert!(!new_value("12 Elm Street, Springfield", "21 Elm Street"));
        assert!(!new_value("北京市朝阳区建国路88号", "北京市朝阳区建国路99号"));
    }
}
