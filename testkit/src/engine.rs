//! The one way tests configure a torrent engine: it never leaves 127.0.0.1 (loopback listener,
//! no DHT) and may reach the local seeders the private-address policy refuses in production.

use tseeder_engine::EngineConfig;

/// Turns `config` into a loopback-only engine for a test, keeping its other settings.
pub fn on_loopback(config: &mut EngineConfig) {
    config.listen_ip = [127, 0, 0, 1].into();
    config.dht = false;
    config.allow_private_addresses = true;
}

/// The default engine on loopback, giving up on metadata after 30 s.
pub fn loopback_engine() -> EngineConfig {
    let mut config = EngineConfig {
        metadata_timeout_seconds: 30,
        ..EngineConfig::default()
    };
    on_loopback(&mut config);
    config
}
