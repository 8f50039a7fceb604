package io.flotilla.agent.lab;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/** The lab ITs that share one swarm of three hosts: a clean lab before their tests, none after. */
abstract class ThreeHostSwarm {

    @BeforeAll
    static void swarmOfThree() throws Exception {
        Lab.swarmOfThree();
    }

    @AfterAll
    static void labDown() throws Exception {
        Lab.exec(List.of(Lab.lab(), "down"), 120);
    }
}
