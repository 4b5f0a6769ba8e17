using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BreachRegister : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Breaches",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Number = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Year = table.Column<int>(type: "INTEGER", nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    DetectedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordedBy = table.Column<Guid>(type: "TEXT", nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Categories = table.Column<int>(type: "INTEGER", nullable: false),
                    Measures = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    MeasuresChangedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    MeasuresChangedBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    AffectedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    NotifiedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    NotificationChannel = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    NotificationReference = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    NotificationRecordedBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Breaches", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BreachCustomers",
                columns: table => new
                {
                    BreachId = table.Column<long>(type: "INTEGER", nullable: false),
                    AccountId = table.Column<Guid>(type: "TEXT", nullable: false),
                    NotifiedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BreachCustomers", x => new { x.BreachId, x.AccountId });
                    table.ForeignKey(
                        name: "FK_BreachCustomers_Breaches_BreachId",
                        column: x => x.BreachId,
                        principalTable: "Breaches",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BreachNoticeTexts",
                columns: table => new
                {
                    BreachId = table.Column<long>(type: "INTEGER", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    WhatHappened = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    WhatWasDone = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BreachNoticeTexts", x => new { x.BreachId, x.Language });
                    table.ForeignKey(
                        name: "FK_BreachNoticeTexts_Breaches_BreachId",
                        column: x => x.BreachId,
                        principalTable: "Breaches",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BreachRequests",
                columns: table => new
                {
                    BreachId = table.Column<long>(type: "INTEGER", nullable: false),
                    RequestId = table.Column<long>(type: "INTEGER", nullable: false),
                    LinkedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LinkedBy = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BreachRequests", x => new { x.BreachId, x.RequestId });
                    table.ForeignKey(
                        name: "FK_BreachRequests_Breaches_BreachId",
                        column: x => x.BreachId,
                        principalTable: "Breaches",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BreachRequests_CustomerRequests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "CustomerRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BreachCustomers_AccountId",
                table: "BreachCustomers",
                column: "AccountId");

            migrationBuilder.CreateIndex(
                name: "IX_Breaches_Number",
                table: "Breaches",
                column: "Number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Breaches_Year_Sequence",
                table: "Breaches",
                columns: new[] { "Year", "Sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BreachRequests_RequestId",
                table: "BreachRequests",
                column: "RequestId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BreachCustomers");

            migrationBuilder.DropTable(
                name: "BreachNoticeTexts");

            migrationBuilder.DropTable(
                name: "BreachRequests");

            migrationBuilder.DropTable(
                name: "Breaches");
        }
    }
}
