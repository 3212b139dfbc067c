//! `ponte disable`

use ponte_core::{App, Error};

pub fn run(app: &App) -> Result<(), Error> {
    app.disable()?;
    println!("{}.", ponte_core::problem::integration_label(false));
    Ok(())
}
