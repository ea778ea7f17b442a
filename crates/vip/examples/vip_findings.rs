//! Prints the findings of a feed: `cargo run -p votebase-vip --example vip_findings PATH`.
fn main() {
    for arg in std::env::args().skip(1) {
        match votebase_vip::load(std::path::Path::new(&arg)) {
            Ok(feed) => {
                let r = votebase_vip::validate(&feed);
                println!("== {arg}: {} errors {} warnings", r.errors, r.warnings);
                for f in r.findings.iter().take(40) {
                    println!(
                        "  {}:{} {} {} {} [{}] {}",
                        f.origin.file,
                        f.origin.line,
                        f.rule.code(),
                        f.element,
                        f.id,
                        f.field,
                        f.message
                    );
                }
            }
            Err(e) => println!("== {arg}: ERROR {e}"),
        }
    }
}
