# hostile prior: returns nan
# expect: refused at load
# refused: the prior returned non-finite values
import numpy as np

def policy(obs):
    return np.full(3, np.nan)
