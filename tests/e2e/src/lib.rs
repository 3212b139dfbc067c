//! The harness of the end-to-end tests (`tests/`): the built desktop app in a real window
//! (Xvfb on Linux) over WebDriver, the desktop session around it, and the orders the tests
//! place. Linux only: WebKitGTK's WebDriver, Xvfb and the X tools drive and look at the window.
#![cfg(target_os = "linux")]

pub mod orders;
pub mod system;
pub mod window;

pub use orders::{order, order_of};
pub use system::{all_grey, shows, NotificationServer, Panel, SessionBus};
pub use window::{app_binary, type_into, Desktop, MerchantBrowser};
