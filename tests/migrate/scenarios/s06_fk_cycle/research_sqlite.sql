CREATE TABLE teams (
    id INTEGER NOT NULL,
    captain_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT fk_teams_captain_id_players FOREIGN KEY(captain_id) REFERENCES players (id)
);
CREATE TABLE players (
    id INTEGER NOT NULL,
    team_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(team_id) REFERENCES teams (id)
);
