# hostile prior: stateful step counter
# expect: refused at load
# refused: it must depend on obs only
import math

STEP = [0]

def policy(obs):
    STEP[0] += 1  # a gait clock kept between calls
    phase = math.sin(0.3 * STEP[0])
    return [phase, -phase, 0.0]
