#![allow(clippy::unwrap_used)]
#[tokio::test(flavor = "multi_thread")]
async fn latency() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("u/x"); std::fs::create_dir_all(&d).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _w = pincer::skills::SkillWatcher::start(vec![tmp.path().join("u")], tx).unwrap();
    let mut v = vec![];
    for i in 0..20 {
        let t = std::time::Instant::now();
        std::fs::write(d.join("SKILL.md.tmp"), format!("---\nname: x\ndescription: {i}\n---\n")).unwrap();
        std::fs::rename(d.join("SKILL.md.tmp"), d.join("SKILL.md")).unwrap();
        rx.recv().await.unwrap();
        v.push(t.elapsed().as_millis());
    }
    v.sort(); eprintln!("median {} p95 {} max {}", v[10], v[18], v[19]);
}
