//! The legs' bounds: which words the any-word leg keeps, bm25 vs newest, the scope filter.

use super::*;
use crate::memory::rank::neighbour_pairs;
use crate::store::Store;

const PROJECT: &str = "/work/app";

fn filter() -> Filter {
    Filter {
        user: true,
        project: true,
        sessions: true,
        key: "app".into(),
        root: PROJECT.into(),
        superseded: false,
    }
}

/// Session chunks of `PROJECT` (or `project`), one per text, ids in order.
fn add(store: &Store, project: &str, texts: &[String]) -> Vec<i64> {
    store
        .transaction(|tx| {
            let mut ids = Vec::new();
            for t in texts {
                tx.execute(
                    "INSERT INTO memory_chunks (source, scope, project, kind, provenance, created,
                        text_hash, text) VALUES ('session', 'session', ?1, 'episodic', 'user', 0, x'', ?2)",
                    params![project, t],
                )?;
                ids.push(tx.last_insert_rowid());
            }
            Ok(ids)
        })
        .unwrap()
}

fn common(n: usize, word: &str) -> Vec<String> {
    (0..n).map(|i| format!("{word} note number {i}")).collect()
}

#[test]
fn a_common_word_is_left_out_when_a_rarer_one_is_in_the_query() {
    let store = Store::open_in_memory().unwrap();
    add(&store, PROJECT, &common(COMMON_MATCHES + 50, "dentist"));
    let rare = add(
        &store,
        PROJECT,
        &[
            "my dentist's hometown is Tarbes".into(),
            "a hometown fair".into(),
        ],
    );
    let legs = word_legs(&store, "What is my dentist's hometown?", 10, &filter())
        .unwrap()
        .0;
    assert_eq!(legs.len(), 1, "{legs:?}");
    let mut got = legs[0].clone();
    got.sort();
    assert_eq!(got, rare, "only chunks holding the rare word");
}

#[test]
fn common_words_only_search_all_of_them_then_any_newest_first() {
    let store = Store::open_in_memory().unwrap();
    let mut texts = common(COMMON_MATCHES + 10, "lamp");
    texts.extend(common(COMMON_MATCHES + 10, "kettle"));
    let ids = add(&store, PROJECT, &texts);
    let both = add(&store, PROJECT, &["the lamp and the kettle".into()]);
    add(&store, PROJECT, &common(3, "unrelated"));
    let legs = word_legs(&store, "lamp kettle", 10, &filter()).unwrap().0;
    assert_eq!(
        legs.len(),
        2,
        "AND found fewer than k: the any-word leg too"
    );
    assert_eq!(legs[0], both);
    // The any-word leg matches over COMMON_MATCHES chunks: its newest LEG_LIMIT, newest first.
    let mut newest: Vec<i64> = both.iter().chain(ids.iter().rev()).copied().collect();
    newest.truncate(LEG_LIMIT);
    assert_eq!(legs[1], newest);
}

#[test]
fn a_bounded_leg_skips_what_the_scope_filter_refuses() {
    let store = Store::open_in_memory().unwrap();
    let mine = add(&store, PROJECT, &common(COMMON_MATCHES, "printer"));
    // The newest matches are another project's: never returned, the leg looks further back.
    add(&store, "/work/other", &common(LEG_LIMIT * 2, "printer"));
    let ids = leg(&store, "memory_fts", "\"printer\"", &filter()).unwrap();
    let expected: Vec<i64> = mine.iter().rev().take(LEG_LIMIT).copied().collect();
    assert_eq!(ids, expected);
}

#[test]
fn a_rare_leg_is_ranked_by_bm25() {
    let store = Store::open_in_memory().unwrap();
    let ids = add(
        &store,
        PROJECT,
        &[
            "zephyr in a long sentence with many other words around it".into(),
            "zephyr zephyr".into(),
        ],
    );
    let got = leg(&store, "memory_fts", "\"zephyr\"", &filter()).unwrap();
    assert_eq!(
        got,
        vec![ids[1], ids[0]],
        "the denser match first, not the newest"
    );
}

#[test]
fn unknown_words_and_stopwords_only() {
    let store = Store::open_in_memory().unwrap();
    let ids = add(&store, PROJECT, &["what is it".into()]);
    assert!(
        word_legs(&store, "xylophone", 10, &filter())
            .unwrap()
            .0
            .is_empty()
    );
    assert_eq!(
        word_legs(&store, "what is it", 10, &filter()).unwrap().0,
        vec![ids]
    );
}

#[test]
fn rare_words_are_kept_while_their_matches_fit_the_bound() {
    let store = Store::open_in_memory().unwrap();
    // "cousin" is under the bound alone, but not with the rarer words: it is left out, so the
    // leg stays ranked by bm25 instead of turning newest-first.
    add(&store, PROJECT, &common(COMMON_MATCHES - 5, "cousin"));
    let rare = add(
        &store,
        PROJECT,
        &[
            "my cousin's employer is now Osprey".into(),
            "the employer changed now".into(),
            "employer employer employer now now".into(),
            "now or never".into(),
            "an employer".into(),
            "right now".into(),
        ],
    );
    let legs = word_legs(&store, "cousin employer now", 10, &filter())
        .unwrap()
        .0;
    assert_eq!(legs.len(), 1);
    let mut got = legs[0].clone();
    got.sort();
    assert_eq!(got, rare);
    assert_eq!(legs[0][0], rare[2], "bm25 order: the densest match first");
}

/// The proximity leg of `text` as it was before word counts bounded it: counted, then ranked.
fn counted_proximity_leg(store: &Store, text: &str) -> Option<Vec<i64>> {
    let expr = proximity_expr(&neighbour_pairs(text))?;
    Some(leg(store, "memory_fts", &expr, &filter()).unwrap())
}

#[test]
fn the_proximity_leg_bounded_by_word_counts_finds_what_counting_found() {
    let store = Store::open_in_memory().unwrap();
    // "lamp" and "kettle" common, apart in most chunks; "tarbes" rare.
    let mut texts = common(COMMON_MATCHES + 40, "lamp");
    texts.extend(common(COMMON_MATCHES + 40, "kettle"));
    texts.extend((0..60).map(|i| format!("the lamp {i} kettle by the window")));
    texts.extend((0..5).map(|i| format!("a kettle from tarbes number {i}")));
    texts.push("tarbes tarbes kettle".into());
    add(&store, PROJECT, &texts);
    for query in [
        "lamp kettle",
        "kettle tarbes",
        "tarbes kettle lamp",
        "kettle unknownword",
        "unknownword otherunknown",
        "lamp",
    ] {
        let (_, counts) = word_legs(&store, query, 10, &filter()).unwrap();
        let bounded = proximity_leg(&store, &neighbour_pairs(query), &counts, &filter()).unwrap();
        let counted = counted_proximity_leg(&store, query);
        match (&bounded, &counted) {
            // A pair with a word found nowhere: no count, an empty leg, as counting found.
            (Some(b), Some(c)) => assert_eq!(b, c, "{query}"),
            (None, None) => {}
            _ => panic!("{query}: {bounded:?} vs {counted:?}"),
        }
    }
}

#[test]
fn a_rare_pair_is_ranked_by_bm25_without_counting_the_expression() {
    let store = Store::open_in_memory().unwrap();
    let ids = add(
        &store,
        PROJECT,
        &[
            "tarbes kettle in a long sentence with many other words around it".into(),
            "tarbes kettle tarbes kettle".into(),
        ],
    );
    let (_, counts) = word_legs(&store, "tarbes kettle", 10, &filter()).unwrap();
    assert_eq!(
        counts.near_bound(&neighbour_pairs("tarbes kettle")),
        Some(2)
    );
    let got = proximity_leg(
        &store,
        &neighbour_pairs("tarbes kettle"),
        &counts,
        &filter(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(got, vec![ids[1], ids[0]], "the denser match first");
}
