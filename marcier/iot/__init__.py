"""The IoT data path outside Tryton: CAN decoding, the vehicle gateway, the
fleet simulator and the platform listener (see README, "IoT")."""
