# hostile prior: stateful alternating clock
# expect: refused at load
# refused: it must depend on obs only
STEP = [0]

def policy(obs):
    STEP[0] += 1  # "alternate the legs": a period of 2 divides the trial's number of calls
    side = 1.0 if STEP[0] % 2 else -1.0
    return [side, -side, 0.0]
