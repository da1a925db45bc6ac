//! The generated code of thrift-codegen's builder options, compiled (`tests/build.rs`
//! generates `golden/options.thrift` with them): serde derives and serde attributes from
//! `type_attribute` and `field_attribute`, types of an included file taken from another
//! module with `extern_path`, and a client generated without a server.

use std::collections::BTreeMap;

use tests::golden::enums::{Status, TrafficLight};
use tests::golden::options::{PlotterClient, Point, Reading, Shape, Unit};

#[test]
fn type_and_field_attributes_reach_the_generated_types() {
    let point = Point {
        x: 1,
        y: -2,
        label: None,
    };
    // `skip_serializing_if` on `label`, from `field_attribute(".options.Point.label", ..)`.
    assert_eq!(serde_json::to_string(&point).unwrap(), r#"{"x":1,"y":-2}"#);
    let back: Point = serde_json::from_str(r#"{"x":1,"y":-2}"#).unwrap();
    assert_eq!(back, point);

    // `rename` on a union's variant, from `field_attribute("Shape.path", ..)`.
    let shape = Shape::Path(vec![point.clone()]);
    let json = serde_json::to_string(&shape).unwrap();
    assert_eq!(json, r#"{"polyline":[{"x":1,"y":-2}]}"#);
    assert_eq!(serde_json::from_str::<Shape>(&json).unwrap(), shape);

    assert_eq!(serde_json::to_string(&Unit::FEET).unwrap(), "2");
    let _: BTreeMap<String, Unit> = serde_json::from_str(r#"{"a":1}"#).unwrap();
}

#[test]
fn extern_path_uses_the_types_of_the_other_module() {
    // `extern_path(".enums", "crate::golden::enums")`: the very types of `golden::enums`.
    let reading = Reading {
        status: Status::NOT_FOUND,
        lights: vec![TrafficLight::GREEN],
    };
    let bytes = thrift_tower::protocol::encode(thrift_tower::protocol::Protocol::Compact, &reading)
        .unwrap();
    let back: Reading = thrift_tower::protocol::decode(
        thrift_tower::protocol::Protocol::Compact,
        bytes,
        thrift_tower::protocol::Limits::default(),
    )
    .unwrap();
    assert_eq!(back, reading);
}

#[test]
fn a_client_without_a_server() {
    // `build_server(false)`: the client is there (a server would be `PlotterServer` and a
    // handler trait `Plotter`; the golden file shows that neither is generated).
    fn is_client<S>(_: &PlotterClient<S>) {}
    is_client(&PlotterClient::new(()));
}
