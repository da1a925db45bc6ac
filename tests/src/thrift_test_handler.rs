//! The ThriftTest service as its IDL comments define it: what Apache's cross-test servers
//! answer, so any Apache client can check our server (and our client can be checked
//! against ours in-process).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use thrift_tower::bytes::Bytes;
use thrift_tower::{ApplicationException, ApplicationExceptionKind};

use crate::thrift_test::*;

/// Answers every ThriftTest method as the IDL specifies.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThriftTestHandler;

impl ThriftTest for ThriftTestHandler {
    async fn test_void(&self) -> Result<(), TestVoidError> {
        Ok(())
    }

    async fn test_string(&self, thing: String) -> Result<String, TestStringError> {
        Ok(thing)
    }

    async fn test_bool(&self, thing: bool) -> Result<bool, TestBoolError> {
        Ok(thing)
    }

    async fn test_byte(&self, thing: i8) -> Result<i8, TestByteError> {
        Ok(thing)
    }

    async fn test_i32(&self, thing: i32) -> Result<i32, TestI32Error> {
        Ok(thing)
    }

    async fn test_i64(&self, thing: i64) -> Result<i64, TestI64Error> {
        Ok(thing)
    }

    async fn test_double(&self, thing: f64) -> Result<f64, TestDoubleError> {
        Ok(thing)
    }

    async fn test_binary(&self, thing: Bytes) -> Result<Bytes, TestBinaryError> {
        Ok(thing)
    }

    async fn test_struct(&self, thing: Xtruct) -> Result<Xtruct, TestStructError> {
        Ok(thing)
    }

    async fn test_nest(&self, thing: Xtruct2) -> Result<Xtruct2, TestNestError> {
        Ok(thing)
    }

    async fn test_map(
        &self,
        thing: BTreeMap<i32, i32>,
    ) -> Result<BTreeMap<i32, i32>, TestMapError> {
        Ok(thing)
    }

    async fn test_string_map(
        &self,
        thing: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, TestStringMapError> {
        Ok(thing)
    }

    async fn test_set(&self, thing: BTreeSet<i32>) -> Result<BTreeSet<i32>, TestSetError> {
        Ok(thing)
    }

    async fn test_list(&self, thing: Vec<i32>) -> Result<Vec<i32>, TestListError> {
        Ok(thing)
    }

    async fn test_enum(&self, thing: Numberz) -> Result<Numberz, TestEnumError> {
        Ok(thing)
    }

    async fn test_typedef(&self, thing: UserId) -> Result<UserId, TestTypedefError> {
        Ok(thing)
    }

    async fn test_map_map(
        &self,
        _hello: i32,
    ) -> Result<BTreeMap<i32, BTreeMap<i32, i32>>, TestMapMapError> {
        Ok(map_map())
    }

    async fn test_insanity(
        &self,
        argument: Insanity,
    ) -> Result<BTreeMap<UserId, BTreeMap<Numberz, Insanity>>, TestInsanityError> {
        Ok(insanity_answer(argument))
    }

    async fn test_multi(
        &self,
        arg0: i8,
        arg1: i32,
        arg2: i64,
        _arg3: BTreeMap<i16, String>,
        _arg4: Numberz,
        _arg5: UserId,
    ) -> Result<Xtruct, TestMultiError> {
        Ok(Xtruct {
            string_thing: "Hello2".into(),
            byte_thing: arg0,
            i32_thing: arg1,
            i64_thing: arg2,
        })
    }

    async fn test_exception(&self, arg: String) -> Result<(), TestExceptionError> {
        match arg.as_str() {
            "Xception" => Err(Xception {
                error_code: 1001,
                message: arg,
            }
            .into()),
            "TException" => Err(ApplicationException::new(
                ApplicationExceptionKind::InternalError,
                "This is a TException",
            )
            .into()),
            _ => Ok(()),
        }
    }

    async fn test_multi_exception(
        &self,
        arg0: String,
        arg1: String,
    ) -> Result<Xtruct, TestMultiExceptionError> {
        match arg0.as_str() {
            "Xception" => Err(Xception {
                error_code: 1001,
                message: "This is an Xception".into(),
            }
            .into()),
            "Xception2" => Err(Xception2 {
                error_code: 2002,
                struct_thing: Xtruct {
                    string_thing: "This is an Xception2".into(),
                    ..Xtruct::default()
                },
            }
            .into()),
            _ => Ok(Xtruct {
                string_thing: arg1,
                ..Xtruct::default()
            }),
        }
    }

    async fn test_oneway(&self, seconds_to_sleep: i32) -> Result<(), TestOnewayError> {
        let seconds = u64::try_from(seconds_to_sleep).unwrap_or(0);
        tokio::time::sleep(Duration::from_secs(seconds.min(5))).await;
        Ok(())
    }
}

impl SecondService for ThriftTestHandler {
    async fn secondtest_string(&self, thing: String) -> Result<String, SecondtestStringError> {
        if thing == "panic" {
            // Lets tests check that a handler's panic becomes a TApplicationException.
            panic!("asked to panic");
        }
        Ok(format!("testString(\"{thing}\")"))
    }
}

/// What `testMapMap` answers.
pub fn map_map() -> BTreeMap<i32, BTreeMap<i32, i32>> {
    BTreeMap::from([
        (-4, (-4..=-1).map(|i| (i, i)).collect()),
        (4, (1..=4).map(|i| (i, i)).collect()),
    ])
}

/// What `testInsanity` answers for `argument`.
pub fn insanity_answer(argument: Insanity) -> BTreeMap<UserId, BTreeMap<Numberz, Insanity>> {
    BTreeMap::from([
        (
            1,
            BTreeMap::from([(Numberz::TWO, argument.clone()), (Numberz::THREE, argument)]),
        ),
        (2, BTreeMap::from([(Numberz::SIX, Insanity::default())])),
    ])
}
