# hostile prior: numpy memmap
# expect: refused at load
import numpy as np

m = np.memmap('CANARY_FILE', dtype='float32', mode='w+', shape=(3,))

def policy(obs):
    return np.zeros(3)
