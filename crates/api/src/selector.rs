//! Label and field selectors (owned by the selectors work item; see ARCHITECTURE.md).
