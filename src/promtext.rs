//! Text forms Prometheus' Go tools print (stub, being written).
