//! Where words begin and end in text of any script: the one home of that convention, shared
//! by the recognizer's features and slot tagger (`nlu`) and the rewording guard (`templates`).
//!
//! Chinese, Japanese and Korean syllable or ideograph characters are words of their own here:
//! those scripts are written without spaces (Korean with them, but one syllable block still
//! carries meaning the way a short word does).

/// The code point ranges of CJK ideographs, kana and Hangul syllables.
const CJK_RANGES: [(u32, u32); 6] = [
    (0x3040, 0x30FF),   // Hiragana, Katakana
    (0x3400, 0x4DBF),   // CJK Extension A
    (0x4E00, 0x9FFF),   // CJK Unified Ideographs
    (0xAC00, 0xD7AF),   // Hangul syllables
    (0xF900, 0xFAFF),   // CJK Compatibility Ideographs
    (0x20000, 0x2FA1F), // CJK Extensions B–F and the compatibility supplement
];

/// Whether a character is a CJK ideograph, kana or Hangul syllable.
pub fn is_cjk(c: char) -> bool {
    let c = c as u32;
    CJK_RANGES.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// The same characters as the inside of a regex character class (`[…]`), for tokenizers.
pub fn cjk_class() -> String {
    CJK_RANGES.iter().map(|(low, high)| format!(r"\x{{{low:X}}}-\x{{{high:X}}}")).collect()
}

/// The byte ranges of the words of `text`, in order: runs of letters and digits, and each CJK
/// character on its own ("12 Elm St." → `12`, `Elm`, `St`; "建国路88号" → 建, 国, 路, `88`, 号).
pub fn spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    for (at, c) in text.char_indices() {
        let cjk = is_cjk(c);
        if let Some(start) = open.filter(|_| cjk || !c.is_alphanumeric()) {
            spans.push(start..at);
            open = None;
        }
        if cjk {
            spans.push(at..at + c.len_utf8());
        } else if c.is_alphanumeric() && open.is_none() {
            open = Some(at);
        }
    }
    spans.extend(open.map(|start| start..text.len()));
    spans
}

/// Whether a word carries content rather than grammar: it holds digits, is CJK, has four
/// letters or more, or is an acronym of two or three capitals ("HP", "IBM"); "i", "the", "so"
/// do not.
pub fn is_content(word: &str) -> bool {
    let letters = word.chars().count();
    let acronym = (2..=3).contains(&letters) && word.chars().all(|c| c.is_uppercase());
    word.chars().any(|c| c.is_ascii_digit() || is_cjk(c)) || letters >= 4 || acronym
}

#[cfg(test)]
mod tests {
    use super::{cjk_class, is_cjk, is_content, spans};

    #[test]
    fn content_words_and_grammar() {
        for word in ["late", "12", "退", "HP", "IBM", "broken"] {
            assert!(is_content(word), "{word}");
        }
        for word in ["i", "I", "the", "so", "it", "bad", "Hp"] {
            assert!(!is_content(word), "{word}");
        }
    }

    #[test]
    fn words_are_letter_runs_and_single_cjk_characters() {
        let words = |text: &str| spans(text).into_iter().map(|r| text[r].to_string()).collect::<Vec<_>>();
        assert_eq!(words("12 Elm St., Leeds"), ["12", "Elm", "St", "Leeds"]);
        assert_eq!(words("新地址是建国路88号!"), ["新", "地", "址", "是", "建", "国", "路", "88", "号"]);
        assert_eq!(words("café-au-lait"), ["café", "au", "lait"]);
        assert!(words(" ,. ").is_empty());
    }

    #[test]
    fn cjk_characters_and_not_latin_or_punctuation() {
        assert!("退款地址のカ한𠀀".chars().all(is_cjk));
        assert!(!"aé1,。！ ".chars().any(is_cjk));
    }

    #[test]
    fn the_class_reads_the_same_ranges() {
        assert_eq!(&cjk_class()[..20], r"\x{3040}-\x{30FF}\x{");
        assert_eq!(cjk_class().matches('-').count(), 6);
    }
}
