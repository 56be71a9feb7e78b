# hostile prior: numpy memmap
# expect: refused at load
# refused: AttributeError: numpy.memmap is not available to a prior
import numpy as np

m = np.memmap('CANARY_FILE', dtype='float32', mode='w+', shape=(3,))

def policy(obs):
    return np.zeros(3)
