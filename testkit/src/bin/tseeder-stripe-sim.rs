//! The suite's Stripe stand-in as a process, for the console's browser tests: prints its base URL
//! and the account's keys as JSON on the first line of stdout, then takes the webhook URL (tseeder's `/api/v1/billing/webhook`)
//! from each line of stdin, and serves until stdin closes.

use tokio::io::AsyncBufReadExt;
use tseeder_testkit::stripe::{StripeSim, SECRET_KEY, WEBHOOK_SECRET};

#[tokio::main]
async fn main() {
    let sim = StripeSim::start().await;
    println!(
        "{}",
        serde_json::json!({ "base": sim.base, "secretKey": SECRET_KEY, "webhookSecret": WEBHOOK_SECRET })
    );
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let url = line.trim();
        if !url.is_empty() {
            sim.set_webhook_url(url);
            println!("webhooks go to {url}");
        }
    }
}
