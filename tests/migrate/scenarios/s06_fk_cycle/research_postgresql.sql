CREATE TABLE teams (
    id SERIAL NOT NULL,
    captain_id INTEGER,
    PRIMARY KEY (id)
);
CREATE TABLE players (
    id SERIAL NOT NULL,
    team_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(team_id) REFERENCES teams (id)
);
ALTER TABLE teams ADD CONSTRAINT fk_teams_captain_id_players
    FOREIGN KEY(captain_id) REFERENCES players (id);
