//! A deterministic generator of LongMemEval-shaped data: many sessions of filler conversation
//! (with distractors that share words with the questions) in which facts are planted, and the
//! questions about them:
//! - single-session facts ("my dentist's hometown is Tarbes" → "What is my dentist's hometown?");
//! - knowledge updates: the same fact stated again later with a newer value (newer must rank
//!   above older);
//! - time-anchored facts ("On 14 March I went hiking in Ronda" → "Where did I go hiking on
//!   14 March?");
//! - preferences ("For breakfast I prefer porridge over toast", also saved as a memory note);
//! - never-stated facts (a relation/attribute pair that no session mentions: should abstain).
//!
//! Same seed, same data. Session times spread over a year, oldest first.

use std::collections::HashSet;

use fastrand::Rng;

pub const DAY_MS: i64 = 86_400_000;
const BASE_MS: i64 = 1_700_000_000_000;

#[derive(Debug, Clone)]
pub struct Message {
    #[allow(dead_code)] // for indexes that weigh user and assistant messages apart
    pub role: &'static str,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: usize,
    pub time_ms: i64,
    pub messages: Vec<Message>,
}

/// A memory note (what the model or the user saved).
#[derive(Debug, Clone)]
pub struct Memory {
    pub id: usize,
    pub time_ms: i64,
    pub text: String,
}

/// Where an answer is: a session's message, or a memory note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loc {
    Message { session: usize, item: usize },
    Memory(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SingleSession,
    Updated,
    Temporal,
    Preference,
    NeverStated,
}

#[derive(Debug, Clone)]
pub struct Question {
    pub kind: Kind,
    pub text: String,
    /// Any of these holds the answer (empty for never-stated).
    pub answers: Vec<Loc>,
    /// For updated facts: where the older, superseded value is.
    pub older: Option<Loc>,
}

pub struct Dataset {
    pub sessions: Vec<Session>,
    pub memories: Vec<Memory>,
    pub questions: Vec<Question>,
}

impl Dataset {
    pub fn chunks(&self) -> usize {
        self.sessions
            .iter()
            .map(|s| s.messages.len())
            .sum::<usize>()
            + self.memories.len()
    }

    /// "Now" for recency: a day after the last session.
    pub fn now_ms(&self) -> i64 {
        self.sessions.last().map_or(BASE_MS, |s| s.time_ms) + DAY_MS
    }
}

const RELS: &[&str] = &[
    "sister",
    "brother",
    "manager",
    "dentist",
    "landlord",
    "neighbor",
    "coworker",
    "cousin",
    "mentor",
    "accountant",
    "plumber",
    "trainer",
    "grandmother",
    "uncle",
    "roommate",
    "teacher",
    "doctor",
    "barber",
    "lawyer",
    "nephew",
];
const ATTRS: &[&str] = &[
    "hometown",
    "birthday",
    "car",
    "favorite band",
    "dog",
    "phone",
    "employer",
    "street",
    "allergy",
    "hobby",
    "nickname",
    "language",
];
const VALUES: &[&str] = &[
    "Tarbes", "Ravenna", "Oulu", "Bilbao", "Kestrel", "Juniper", "Marlow", "Osprey", "Calloway",
    "Hadley", "Quimper", "Verona", "Tamsin", "Bramble", "Corvid", "Pellucid", "Saffron", "Tilden",
    "Umbria", "Wexford", "Yarrow", "Zephyr", "Alder", "Beacon", "Cinder", "Drummond", "Ember",
    "Fennel", "Gossamer", "Harrow",
];
const ACTIVITIES: &[(&str, &str)] = &[
    ("went hiking", "go hiking"),
    ("took a pottery class", "take a pottery class"),
    ("had dinner", "have dinner"),
    ("saw a concert", "see a concert"),
    ("went swimming", "go swimming"),
    ("bought shoes", "buy shoes"),
    ("rented a bike", "rent a bike"),
    ("visited a museum", "visit a museum"),
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DOMAINS: &[(&str, &str, &str)] = &[
    ("breakfast", "porridge", "toast"),
    ("indentation", "tabs", "spaces"),
    ("travel", "trains", "planes"),
    ("reading", "paper books", "ebooks"),
    ("coffee", "espresso", "filter coffee"),
    ("music while working", "silence", "podcasts"),
    ("code review", "small commits", "big pull requests"),
    ("holidays", "mountains", "beaches"),
    ("exercise", "running", "cycling"),
    ("note taking", "plain text", "notebooks"),
];
const TOPICS: &[&str] = &[
    "the garden",
    "a recipe",
    "the weather",
    "a rust compiler error",
    "the budget",
    "a podcast",
    "the kitchen renovation",
    "a board game",
    "the train schedule",
    "a birthday gift",
    "the database migration",
    "a novel",
    "the quarterly report",
    "a camping trip",
    "the laptop",
];
const VERBS: &[&str] = &[
    "looked at",
    "talked about",
    "worried about",
    "fixed",
    "planned",
    "compared",
    "cleaned up",
    "read about",
    "argued over",
    "sketched",
];
const ADJS: &[&str] = &[
    "new",
    "old",
    "strange",
    "tiny",
    "expensive",
    "noisy",
    "quiet",
    "broken",
    "shiny",
    "simple",
];
const NOUNS: &[&str] = &[
    "schedule",
    "notebook",
    "spreadsheet",
    "window",
    "bicycle",
    "printer",
    "kettle",
    "playlist",
    "backpack",
    "calendar",
    "lamp",
    "keyboard",
];

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.usize(..xs.len())]
}

fn filler(rng: &mut Rng, role: &str) -> String {
    let n = rng.usize(2..5);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let s = match rng.u8(..6) {
            0 => format!(
                "My {} {} the {} {} yesterday.",
                pick(rng, RELS),
                pick(rng, VERBS),
                pick(rng, ADJS),
                pick(rng, NOUNS)
            ),
            1 => format!(
                "We {} {} and the {} {}.",
                pick(rng, VERBS),
                pick(rng, TOPICS),
                pick(rng, ADJS),
                pick(rng, NOUNS)
            ),
            2 if role == "assistant" => format!(
                "Here is a suggestion about {}: keep the {} {} somewhere visible.",
                pick(rng, TOPICS),
                pick(rng, ADJS),
                pick(rng, NOUNS)
            ),
            3 => format!(
                "I think the {} of my {} is a bit {} lately.",
                pick(rng, NOUNS),
                pick(rng, RELS),
                pick(rng, ADJS)
            ),
            _ => format!(
                "Can you help me with {} and the {} {}?",
                pick(rng, TOPICS),
                pick(rng, ADJS),
                pick(rng, NOUNS)
            ),
        };
        out.push(s);
    }
    out.join(" ")
}

/// Planted facts per category for a dataset of about `chunks` chunks.
fn facts_per_kind(chunks: usize) -> usize {
    (chunks / 25).clamp(10, 40)
}

/// Plants facts into user messages, never twice into the same message.
struct Planter {
    used: HashSet<(usize, usize)>,
}

impl Planter {
    /// Append `text` to a user message of a session in `from..to`.
    fn plant(
        &mut self,
        rng: &mut Rng,
        sessions: &mut [Session],
        (from, to): (usize, usize),
        text: String,
    ) -> Loc {
        loop {
            let s = from + rng.usize(..(to - from).max(1));
            let session = &mut sessions[s];
            let item = 2 * rng.usize(..session.messages.len() / 2);
            if self.used.insert((s, item)) {
                session.messages[item].text = format!("{} {}", filler(rng, "user"), text);
                return Loc::Message { session: s, item };
            }
        }
    }
}

/// About `chunks` chunks (messages + memory notes), deterministic for `seed`.
pub fn generate(chunks: usize, seed: u64) -> Dataset {
    let mut rng = Rng::with_seed(seed);
    let per_session = 20;
    let n_sessions = (chunks / per_session).max(8);
    let span_ms = 365 * DAY_MS;
    let mut sessions: Vec<Session> = (0..n_sessions)
        .map(|id| {
            let len = per_session - 4 + rng.usize(..9);
            let messages = (0..len)
                .map(|i| {
                    let role = if i % 2 == 0 { "user" } else { "assistant" };
                    Message {
                        role,
                        text: filler(&mut rng, role),
                    }
                })
                .collect();
            Session {
                id,
                time_ms: BASE_MS + span_ms * id as i64 / n_sessions as i64,
                messages,
            }
        })
        .collect();
    let mut memories = Vec::new();
    let mut questions = Vec::new();
    let n = facts_per_kind(chunks);
    let mut planter = Planter {
        used: HashSet::new(),
    };

    // Relation × attribute pairs, shuffled; each used once across the categories.
    let mut pairs: Vec<(usize, usize)> = (0..RELS.len())
        .flat_map(|r| (0..ATTRS.len()).map(move |a| (r, a)))
        .collect();
    rng.shuffle(&mut pairs);
    let mut pairs = pairs.into_iter();

    for _ in 0..n {
        let Some((r, a)) = pairs.next() else { break };
        let value = pick(&mut rng, VALUES);
        let text = format!("By the way, my {}'s {} is {value}.", RELS[r], ATTRS[a]);
        let at = planter.plant(&mut rng, &mut sessions, (0, n_sessions), text);
        questions.push(Question {
            kind: Kind::SingleSession,
            text: format!("What is my {}'s {}?", RELS[r], ATTRS[a]),
            answers: vec![at],
            older: None,
        });
    }
    for _ in 0..n {
        let Some((r, a)) = pairs.next() else { break };
        let old = pick(&mut rng, VALUES);
        let mut new = pick(&mut rng, VALUES);
        while new == old {
            new = pick(&mut rng, VALUES);
        }
        let half = n_sessions / 2;
        let text = format!("Just so you know, my {}'s {} is {old}.", RELS[r], ATTRS[a]);
        let older = planter.plant(&mut rng, &mut sessions, (0, half), text);
        let text = format!(
            "Update: my {}'s {} is now {new}, it changed recently.",
            RELS[r], ATTRS[a]
        );
        let newer = planter.plant(&mut rng, &mut sessions, (half + 1, n_sessions), text);
        questions.push(Question {
            kind: Kind::Updated,
            text: format!("What is my {}'s {} now?", RELS[r], ATTRS[a]),
            answers: vec![newer],
            older: Some(older),
        });
    }
    for i in 0..n {
        let (did, q) = ACTIVITIES[i % ACTIVITIES.len()];
        let s = rng.usize(..n_sessions);
        let day = 1 + (i / ACTIVITIES.len()) % 28;
        let month = MONTHS[(i + s) % 12];
        let place = pick(&mut rng, VALUES);
        let text = format!("On {day} {month} I {did} in {place}.");
        let at = planter.plant(&mut rng, &mut sessions, (s, s + 1), text);
        questions.push(Question {
            kind: Kind::Temporal,
            text: format!("Where did I {q} on {day} {month}?"),
            answers: vec![at],
            older: None,
        });
    }
    for &(domain, liked, other) in DOMAINS.iter().take(n) {
        let text = format!("For {domain} I prefer {liked} over {other}.");
        let at = planter.plant(&mut rng, &mut sessions, (0, n_sessions), text);
        let Loc::Message { session, .. } = at else {
            continue;
        };
        let id = memories.len();
        memories.push(Memory {
            id,
            time_ms: sessions[session].time_ms,
            text: format!("The user prefers {liked} over {other} for {domain}."),
        });
        questions.push(Question {
            kind: Kind::Preference,
            text: format!("What do I prefer for {domain}?"),
            answers: vec![at, Loc::Memory(id)],
            older: None,
        });
    }
    for _ in 0..n {
        let Some((r, a)) = pairs.next() else { break };
        questions.push(Question {
            kind: Kind::NeverStated,
            text: format!("What is my {}'s {}?", RELS[r], ATTRS[a]),
            answers: Vec::new(),
            older: None,
        });
    }
    Dataset {
        sessions,
        memories,
        questions,
    }
}

/// One session of `messages` filler messages (for the index-time figure).
pub fn long_session(messages: usize, seed: u64) -> Session {
    let mut rng = Rng::with_seed(seed);
    Session {
        id: usize::MAX,
        time_ms: BASE_MS,
        messages: (0..messages)
            .map(|i| {
                let role = if i % 2 == 0 { "user" } else { "assistant" };
                Message {
                    role,
                    text: filler(&mut rng, role),
                }
            })
            .collect(),
    }
}
