//! The whole simulated world behind one lock.

use crate::calls::CallCounts;
use crate::config::SandboxConfig;
use crate::contaazul::model::ContaAzulState;
use crate::demo::DemoHandle;
use crate::faults::Faults;
use crate::nuvemshop::model::NuvemshopState;

pub(crate) struct World {
    pub nuvemshop: NuvemshopState,
    pub contaazul: ContaAzulState,
    pub faults: Faults,
    /// The answers switched from the documented or assumed ones.
    pub answers: crate::answers::Answers,
    pub calls: CallCounts,
    pub demo: Option<DemoHandle>,
    pub webhook_faults: crate::nuvemshop::webhooks::WebhookFaults,
    /// Webhook POSTs sent (attempts included).
    pub webhook_deliveries: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl World {
    pub fn new(config: &SandboxConfig) -> Self {
        World {
            nuvemshop: NuvemshopState::new(&config.nuvemshop),
            contaazul: ContaAzulState::new(&config.contaazul),
            faults: Faults::default(),
            answers: Default::default(),
            calls: CallCounts::default(),
            demo: None,
            webhook_faults: Default::default(),
            webhook_deliveries: Default::default(),
        }
    }
}
