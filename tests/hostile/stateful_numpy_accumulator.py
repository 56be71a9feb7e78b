# hostile prior: stateful numpy accumulator
# expect: refused at load
# refused: it must depend on obs only
import numpy as np

TOTAL = np.zeros(3)

def policy(obs):
    TOTAL[0] += 0.01
    return np.clip(TOTAL, -1.0, 1.0)
