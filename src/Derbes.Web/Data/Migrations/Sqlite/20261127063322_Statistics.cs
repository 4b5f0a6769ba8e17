using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Statistics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "StatisticsDays",
                columns: table => new
                {
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Metric = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StatisticsDays", x => new { x.Day, x.Metric, x.Language, x.Key });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Documents_ReviewedAt",
                table: "Documents",
                column: "ReviewedAt");

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_At",
                table: "ConsentRecords",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUsers_CreatedAt",
                table: "AspNetUsers",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_StatisticsDays_Metric_Day",
                table: "StatisticsDays",
                columns: new[] { "Metric", "Day" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StatisticsDays");

            migrationBuilder.DropIndex(
                name: "IX_Documents_ReviewedAt",
                table: "Documents");

            migrationBuilder.DropIndex(
                name: "IX_ConsentRecords_At",
                table: "ConsentRecords");

            migrationBuilder.DropIndex(
                name: "IX_AspNetUsers_CreatedAt",
                table: "AspNetUsers");
        }
    }
}
