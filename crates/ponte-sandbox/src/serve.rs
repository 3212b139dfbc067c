//! The accept loop. It is ours rather than `axum::serve` so that a fault can cut the TCP
//! connection in the middle of a request, as a flaky network or a crashing load balancer does.

use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Put in every request's extensions: cancelling it closes the connection without an answer.
#[derive(Clone)]
pub(crate) struct ConnectionCut(pub CancellationToken);

pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let router = router.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let cut = CancellationToken::new();
            let cut_for_requests = cut.clone();
            let service = hyper::service::service_fn(move |request: Request<_>| {
                let mut request = request.map(axum::body::Body::new);
                request
                    .extensions_mut()
                    .insert(ConnectionCut(cut_for_requests.clone()));
                router.clone().oneshot(request)
            });
            let builder = Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = cut.cancelled() => {}
                _ = shutdown.cancelled() => {}
            }
        });
    }
}
