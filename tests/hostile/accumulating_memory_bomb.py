# hostile prior: accumulating memory bomb
# expect: refused at load
# refused: MemoryError
import numpy as np

chunks = []
while True:
    chunks.append(np.ones(1000000))

def policy(obs):
    return np.zeros(3)
