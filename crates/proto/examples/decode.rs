//! Print the JSON of protobuf request bodies: `cargo run -p kubehci-proto --example decode -- FILE...`.

fn main() {
    for path in std::env::args().skip(1) {
        let result = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|body| kubehci_proto::decode_envelope(&body).map_err(|e| e.to_string()));
        match result {
            Ok((_, _, obj)) => println!("{path}: {obj}"),
            Err(e) => println!("{path}: error: {e}"),
        }
    }
}
