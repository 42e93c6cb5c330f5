//! An HTTP server on 127.0.0.1 that answers every request with a redirect to the same path under
//! another base URL, for checking that each redirect hop obeys the transport rules.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// Reads one request from `stream` and returns its path (`/` when there is none).
pub fn request_path(stream: &mut TcpStream) -> String {
    let mut request = [0u8; 4096];
    let n = stream.read(&mut request).unwrap_or(0);
    let line = String::from_utf8_lossy(&request[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    line.split_whitespace().nth(1).unwrap_or("/").to_owned()
}

/// Starts a server that redirects `GET /x` to `<location_base>/x`; returns its base URL.
pub fn redirect_to(location_base: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let location_base = location_base.trim_end_matches('/').to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { continue };
            let path = request_path(&mut stream);
            let answer = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location_base}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    base
}
