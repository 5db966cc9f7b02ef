//! Before every model call: compile the task spec, decide the policy, assemble the prompt.
//! Target: ≤ 200 µs per turn with a realistic skills catalog and AGENTS.md.

use divan::{Bencher, black_box};
use pincer::config::Config;
use pincer::pipeline::{SessionState, TurnInputs, compile, plan_turn};
use pincer::protocol::ApprovalMode;
use pincer::provider::ToolDef;
use pincer::tools::registry::ToolBox;

fn main() {
    divan::main();
}

const MESSAGES: &[&str] = &[
    "What is 2+2?",
    "Add a --verbose flag to src/main.rs that prints each step",
    "The tests in tests/api.rs are failing since yesterday: error[E0382]: borrow of moved value",
    "Refactor the whole codebase to use anyhow everywhere and then update the docs",
    "Erkläre mir, was src/lib.rs macht",
];

#[divan::bench(args = MESSAGES)]
fn compile_spec(msg: &str) {
    black_box(compile(black_box(msg), &SessionState::default()));
}

#[divan::bench(args = MESSAGES)]
fn compile_policy_assemble(bencher: Bencher, msg: &str) {
    let config = Config::default();
    let tools: Vec<ToolDef> = ToolBox::builtin().definitions(ApprovalMode::Yolo);
    let catalog =
        "- skill-name: a description of what the skill does and when to use it\n".repeat(40);
    let agents = "Run `cargo test` before saying a change is done.\n".repeat(30);
    let session = SessionState::default();
    bencher.bench_local(|| {
        black_box(plan_turn(&TurnInputs {
            message: black_box(msg),
            session: &session,
            config: &config,
            mode: ApprovalMode::Ask,
            restricted: false,
            workspace: "/home/me/src/project",
            tools: &tools,
            read_only_tools: &[],
            instructions: &agents,
            core_memory: "",
            retrieved: "",
            skills_catalog: &catalog,
            model: "m",
        }))
    });
}
