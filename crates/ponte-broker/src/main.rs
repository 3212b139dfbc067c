//! `ponte-broker`: see `docs/broker.md`.

use clap::Parser;
use ponte_broker::{Broker, BrokerArgs, BrokerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = BrokerArgs::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("PONTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    match args.log_format.as_str() {
        "json" => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
        "text" => tracing_subscriber::fmt().with_env_filter(filter).init(),
        other => anyhow::bail!("PONTE_LOG_FORMAT: `json` or `text`, not `{other}`"),
    }
    let config = BrokerConfig::from_args(&args)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    tracing::info!(public_url = %config.public_url, "registered redirects: {}/callback/nuvemshop and {}/callback/contaazul",
        config.public_url.as_str().trim_end_matches('/'), config.public_url.as_str().trim_end_matches('/'));
    let broker = Broker::start(config, listener).await?;
    stopped().await?;
    tracing::info!("stopping");
    broker.shutdown().await;
    Ok(())
}

/// Ctrl+C, or the SIGTERM a container runtime sends.
async fn stopped() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
