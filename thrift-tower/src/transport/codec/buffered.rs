//! Apache's `TBufferedTransport` (and a plain `TSocket`): messages back to back, with
//! nothing between them. A message ends where its body struct ends, so the bytes are
//! scanned as they come ([`MessageScanner`]), each about once, and a message may not grow
//! past [`Limits::max_message_size`].

use bytes::BytesMut;

use super::RESERVE_AHEAD;
use super::message::{self, ProtocolSlot};
use crate::error::Error;
use crate::message::Message;
use crate::protocol::envelope::{MessageLen, MessageScanner};
use crate::protocol::{Limits, ProtocolError, ProtocolErrorKind};

/// Reads and writes unframed messages.
#[derive(Debug, Clone)]
pub(super) struct Buffered {
    limits: Limits,
    /// The buffer length below which scanning the message that is arriving cannot get
    /// further: a 10 MB string arriving in 64 KB reads is looked at once, not 160 times.
    resume_at: usize,
    /// How far the message that is arriving has been scanned, so that each read scans only
    /// the bytes it brought.
    scanner: Option<MessageScanner>,
}

impl Buffered {
    pub(super) fn new(limits: Limits) -> Self {
        Buffered {
            limits,
            resume_at: 0,
            scanner: None,
        }
    }

    /// The next whole message at the start of `src`, taken out of it.
    pub(super) fn decode<K: Default>(
        &mut self,
        src: &mut BytesMut,
        protocol: &mut ProtocolSlot,
    ) -> Result<Option<Message<K>>, Error> {
        let Some(&first) = src.first() else {
            return Ok(None);
        };
        let protocol = protocol.at(first)?;
        if src.len() < self.resume_at {
            return Ok(None);
        }
        // The message ends where its body struct ends. A message that is still arriving is
        // scanned further as bytes come, from where the scan stopped.
        let scanner = self
            .scanner
            .get_or_insert_with(|| MessageScanner::new(protocol, self.limits));
        let scanned = scanner.scan(src);
        if scanned.is_err() || matches!(scanned, Ok(MessageLen::Complete(_))) {
            scanner.reset(protocol);
        }
        match scanned? {
            MessageLen::Complete(len) => {
                self.resume_at = 0;
                let bytes = src.split_to(len).freeze();
                message::read(protocol, bytes, self.limits).map(Some)
            }
            MessageLen::Incomplete { at_least } if at_least > self.limits.max_message_size() => {
                Err(ProtocolError::new(
                    ProtocolErrorKind::SizeLimit,
                    format!(
                        "unframed message of at least {at_least} bytes, more than the limit of {} bytes",
                        self.limits.max_message_size()
                    ),
                )
                .into())
            }
            MessageLen::Incomplete { at_least } => {
                self.resume_at = at_least;
                src.reserve(at_least.saturating_sub(src.len()).min(RESERVE_AHEAD));
                Ok(None)
            }
        }
    }

    /// Appends `item` as it is.
    pub(super) fn encode<K>(&mut self, item: &Message<K>, dst: &mut BytesMut) -> Result<(), Error> {
        message::write(item, dst)
    }
}
