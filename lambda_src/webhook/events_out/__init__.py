"""Events out: stream records of the two tables -> CloudEvents -> the FIFO queue and the bus."""
