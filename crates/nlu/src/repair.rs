//! Self-repair inside one message: "ORD-77346... sorry I meant ORD-77364", "reject LV-3308 —
//! no sorry, LV-3380". A value followed, a few words on, by another value of its kind with an
//! editing term between them (the reparandum, interregnum and repair of disfluency research)
//! was taken back: the later value stands, and the words between are no value of their own.

use std::sync::LazyLock;

use regex::Regex;

use crate::entities::Entity;

/// Words that take back what was just said, English and Chinese. "not" and "不是" are no such
/// words: they negate the value after them ("230，不是320" means 230).
static EDITING_TERM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:sorry|i mean|i meant|meant|oops|correction|no|wait|rather)(?-u:\b)|不对|错了|我是说|更正").expect("a valid regex")
});

/// The most words between a value and the one that repairs it.
const INTERREGNUM_WORDS: usize = 5;

/// Drops each value taken back by a later one of the same kind, and any value found in the
/// words between them. Offsets are in characters; the entities' order is kept.
pub fn drop_repaired(text: &str, entities: &mut Vec<Entity>) {
    let chars: Vec<char> = text.chars().collect();
    let gap = |a: &Entity, b: &Entity| -> String { chars[a.end.min(chars.len())..b.start.min(chars.len())].iter().collect() };
    let mut dropped = vec![false; entities.len()];
    for first in entities.iter() {
        let repair = entities.iter().filter(|later| later.entity == first.entity && later.start >= first.end).min_by_key(|later| later.start);
        let Some(later) = repair else { continue };
        let between = gap(first, later);
        if later.normalized == first.normalized || words::spans(&between).len() > INTERREGNUM_WORDS || !EDITING_TERM.is_match(&between) {
            continue;
        }
        // The value taken back, and values found inside the words between ("no sorry" tagged
        // as a reason).
        for (slot, other) in dropped.iter_mut().zip(entities.iter()) {
            *slot |= std::ptr::eq(other, first) || (other.start >= first.end && other.end <= later.start);
        }
    }
    let mut keep = dropped.into_iter().map(|d| !d);
    entities.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::drop_repaired;
    use crate::entities::Entity;
    use serde_json::json;

    fn entity(text: &str, entity: &str, value: &str) -> Entity {
        let at = text.find(value).expect("value in text");
        let start = text[..at].chars().count();
        Entity {
            entity: entity.into(),
            value: value.into(),
            normalized: json!(value),
            start,
            end: start + value.chars().count(),
            extractor: "test".into(),
            alternatives: Vec::new(),
        }
    }

    fn kept(text: &str, mut entities: Vec<Entity>) -> Vec<String> {
        drop_repaired(text, &mut entities);
        entities.into_iter().map(|e| e.value).collect()
    }

    #[test]
    fn a_value_taken_back_gives_way_to_its_repair() {
        let text = "where is order ORD-77346... sorry I meant ORD-77364";
        assert_eq!(kept(text, vec![entity(text, "order_id", "ORD-77346"), entity(text, "order_id", "ORD-77364")]), ["ORD-77364"]);
        let text = "reject LV-3308 — no sorry, LV-3380";
        let entities = vec![entity(text, "request_id", "LV-3308"), entity(text, "reject_reason", "no sorry"), entity(text, "request_id", "LV-3380")];
        assert_eq!(kept(text, entities), ["LV-3380"], "the words between are no reason");
        let text = "订单12345不对，是12346";
        assert_eq!(kept(text, vec![entity(text, "order_id", "12345"), entity(text, "order_id", "12346")]), ["12346"]);
    }

    #[test]
    fn values_side_by_side_all_stand() {
        let text = "leave from Dec 5 to Dec 9";
        assert_eq!(kept(text, vec![entity(text, "date", "Dec 5"), entity(text, "date", "Dec 9")]), ["Dec 5", "Dec 9"]);
        let text = "approve APR-1001 and, sorry to ask, also check the status of something else entirely like APR-1002";
        assert_eq!(kept(text, vec![entity(text, "request_id", "APR-1001"), entity(text, "request_id", "APR-1002")]).len(), 2, "too far apart");
        let text = "金额是230，不是320";
        assert_eq!(kept(text, vec![entity(text, "number", "230"), entity(text, "number", "320")]).len(), 2, "不是 negates what follows");
        let text = "it is 45, not 40";
        assert_eq!(
            kept(text, vec![entity(text, "number", "45"), entity(text, "number", "40")]).len(),
            2,
            "a negated value is the dialogue's to read"
        );
    }
}
