//! The log of EKS API requests, served by `GET /_emulator/requests`.

use serde::Serialize;

/// One EKS API request and how the emulator answered it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestRecord {
    /// Arrival order, starting at 1.
    pub seq: u64,
    /// The EKS operation name, or "Unknown" when no operation matches the method and path.
    pub operation: String,
    pub method: String,
    /// The path as received (labels still percent-encoded).
    pub path: String,
    pub query: String,
    /// The status sent (for `drop_after_commit`: the status that would have been sent; for
    /// `trickle`: the status sent, whether or not the client stayed for the whole body).
    /// 0: nothing was sent because the client went away first (a `black_hole` fault, or a
    /// client that gave up during a `latency` fault); such a request is logged when the client
    /// closes its connection.
    pub status: u16,
    pub error_type: Option<String>,
    /// From the SigV4 credential scope, whenever the `Authorization` header could be parsed
    /// (also when the signature was then refused); null for unsigned requests.
    pub access_key_id: Option<String>,
    /// The region the request was signed for, under the same rule as `access_key_id`.
    pub region: Option<String>,
    /// The cluster named in the path (for tag operations: in the resource ARN).
    pub cluster: Option<String>,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    records: Vec<RequestRecord>,
}

impl RequestLog {
    /// Records a finished request. Requests finish out of order (latency and black hole faults),
    /// so keep the log sorted by arrival.
    pub fn push(&mut self, record: RequestRecord) {
        let at = self.records.partition_point(|r| r.seq < record.seq);
        self.records.insert(at, record);
    }

    pub fn records(&self) -> &[RequestRecord] {
        &self.records
    }

    pub fn clear(&mut self) {
        self.records.clear();
    }
}
